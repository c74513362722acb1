"""The workstation side of the ban list: reading the official CSV and building bundles."""
