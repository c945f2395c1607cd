"""The workbook layer: tables, cell parsing, the config, the program and schedule readers, the writers, the template and safe file I/O."""
