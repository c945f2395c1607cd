"""The compliance and utilisation report: figures (pandas), workbook and CSV files, the HTML page."""
