using AmpSessions.Bench;

return await NewBenchmark.MainAsync(args);
