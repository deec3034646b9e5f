"""One FastAPI router per Studio panel: Data, Train, Generate, History, Reports."""
