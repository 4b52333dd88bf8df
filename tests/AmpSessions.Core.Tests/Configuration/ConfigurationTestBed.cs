using AmpSessions.Core.Configuration;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>A real repository and data directory, with the configuration service over them and a fixed process environment.</summary>
internal sealed class ConfigurationTestBed : IDisposable
{
    public ConfigurationTestBed(IReadOnlyDictionary<string, string?>? variables = null)
    {
        Repo = new TestRepository();
        DataDirectory = Repo.Scratch("data");
        Variables = new Dictionary<string, string?>(variables ?? new Dictionary<string, string?>());
        Context = AmpContext.Open(new AmpContextOptions
        {
            DataDirectory = DataDirectory,
            EnvironmentVariables = name => Variables.TryGetValue(name, out var value) ? value : null,
        });
        Service = new ConfigurationService(Context);
        Sessions = new SessionManager(Context);
    }

    public TestRepository Repo { get; }
    public string DataDirectory { get; }
    public Dictionary<string, string?> Variables { get; }
    public AmpContext Context { get; }
    public ConfigurationService Service { get; }
    public SessionManager Sessions { get; }

    public string RepoFile => Repo.Path(ConfigurationKeys.RepositoryFileName);

    public void WriteRepoFile(string yaml) => File.WriteAllText(RepoFile, yaml);

    public void WriteUserFile(string yaml) => File.WriteAllText(Service.UserFile, yaml);

    public EffectiveConfiguration Load(params ConfigurationLayer[] extra) => Service.Load(Repo.Root, extra);

    public void Dispose() => Repo.Dispose();
}
