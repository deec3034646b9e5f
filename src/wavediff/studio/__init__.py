"""WaveDiff Studio: a web UI (Data, Train, Generate, History) over the scripts and the registry."""
