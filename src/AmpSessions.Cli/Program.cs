using AmpSessions.Cli;

return await CliApplication.RunAsync(args);
