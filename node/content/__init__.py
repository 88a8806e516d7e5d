"""Events, calls for collaboration and news: models to ActivityStreams, HTML, iCal and feeds."""
