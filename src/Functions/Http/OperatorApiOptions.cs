namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// The operator surface: reading a GenServer's state, listing keys and stopping a server. Those routes need the host's
/// admin (master) key; with <see cref="Enabled"/> false (the default, and the Azure deployment's) they answer 404 to
/// everyone. local.settings.json turns them on.
/// </summary>
public sealed class OperatorApiOptions
{
    public const string Section = "OperatorApi";

    public bool Enabled { get; set; }
}
