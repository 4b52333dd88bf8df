using AmpSessions.Cli;
using AmpSessions.Cli.Commands;
using AmpSessions.Core.Containment;
using AmpSessions.Core.Demo;

// Before anything else is built: a native tool answers --version at once (issue 11).
if (VersionAnswer.IsRequest(args))
{
    return VersionAnswer.Write();
}

// A command allocates a few megabytes and ends; the runtime's first gen-0 budget on a small machine is smaller, so
// nearly every command paid one collection (~6 ms of CPU and 180 page faults of `iterate`'s 110 ms and 2,350; perf
// stat, 10 runs interleaved). No collection until 16 MB are allocated; past that the runtime collects and leaves
// this mode by itself, so long commands (batch run, watch) collect as usual.
GC.TryStartNoGCRegion(16 * 1024 * 1024);

// Amp runs this executable, without arguments, as the guard's delegate before a tool call (see GuardProgram).
if (GuardProgram.IsDelegateInvocation(args, Environment.GetEnvironmentVariable))
{
    return GuardProgram.RunConsole();
}

// The bundled demo agent is this same executable in another role, so the demo needs nothing installed.
if (args.Length > 0 && args[0] == DemoCommands.DemoAgentCommand)
{
    return DemoAgent.Run(args[1..], Console.In, Console.Out, Console.Error, Environment.CurrentDirectory);
}
return await CliApplication.RunAsync(args);
