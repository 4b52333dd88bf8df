using AmpSessions.Bench;

// One mode per benchmark; each lives in its own file.
return args.FirstOrDefault() switch
{
    "eval-resume" => await EvalResumeBench.RunAsync(args[1..]),
    "new" => await NewBenchmark.MainAsync(args),
    "iterations" => await IterationBench.RunAsync(args[1..]),
    "batch" => await BatchBench.RunAsync(args[1..]),
    "seed-sessions" => SeedSessions.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/AmpSessions.Bench -- <mode> [options]");
    Console.Error.WriteLine("  " + BenchOptions.Usage.Replace("usage: ", ""));
    Console.Error.WriteLine("  dotnet run -c Release --project bench/AmpSessions.Bench -- iterations [--agents 8] [--seconds 2] [--rounds 3] [--warmup 1] [--cpu-iterations N]");
    Console.Error.WriteLine("  dotnet run -c Release --project bench/AmpSessions.Bench -- batch [--items 50,500] [--repos 10] [--concurrency 1] [--rounds 1] [--no-raw] [--cli default|path/to/amp-sessions.dll] [--limit-seconds S]");
    Console.Error.WriteLine("  dotnet run -c Release --project bench/AmpSessions.Bench -- seed-sessions --data <dir> [--count 10000]");
    Console.Error.WriteLine("  dotnet run -c Release --project bench/AmpSessions.Bench -- eval-resume [--instances 200] [--concurrency 4] [--raw-sample 40]");
    return 2;
}
