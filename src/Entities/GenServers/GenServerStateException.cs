namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// A server's persisted state cannot be used by this code: it does not read as the server's state type, its upgrade
/// failed, or it was written by a newer version than the code knows. A server fault (never the client's): the
/// operation fails, and nothing is overwritten. <c>delete</c> still works.
/// </summary>
public sealed class GenServerStateException : Exception
{
    public GenServerStateException()
    {
    }

    public GenServerStateException(string message)
        : base(message)
    {
    }

    public GenServerStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
