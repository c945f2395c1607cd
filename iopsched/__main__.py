from iopsched.cli import main

main()
