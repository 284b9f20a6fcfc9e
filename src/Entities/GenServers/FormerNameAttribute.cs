namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// A name the operation had in an earlier version of the server. Messages already scheduled under it (timers, self-
/// messages, queued casts) still reach the operation after the rename, instead of being dropped as unexpected.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class FormerNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
