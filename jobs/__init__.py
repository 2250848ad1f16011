"""Jobs: wiring events, storage and backtest together; the CLI and the scheduled refresh."""
