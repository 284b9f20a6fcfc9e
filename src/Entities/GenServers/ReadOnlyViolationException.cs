namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// A <see cref="ReadOnlyAttribute"/> operation changed the state, armed or cancelled a timer, sent a message or stopped
/// the server. A bug in the server (a fault, 500): the call fails and nothing it did is kept.
/// </summary>
public sealed class ReadOnlyViolationException : Exception
{
    public ReadOnlyViolationException()
    {
    }

    public ReadOnlyViolationException(string message)
        : base(message)
    {
    }

    public ReadOnlyViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
