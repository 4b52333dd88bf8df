using AmpSessions.Cli;
using AmpSessions.Cli.Commands;
using AmpSessions.Core.Containment;
using AmpSessions.Core.Demo;

// Before anything else is built: a native tool answers --version at once (issue 11).
if (VersionAnswer.IsRequest(args))
{
    return VersionAnswer.Write();
}

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
