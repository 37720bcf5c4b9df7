"""The event log: record contract, append-only segments, the WARC archive, the quarantine of damaged segments."""
