namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// An error a GenServer raises on purpose, for its caller: a call answers 422 with this message. Any other exception
/// from an operation is a fault: the caller gets a 500 with a correlation id, and the message goes only to the log.
/// A ValidationException (a broken input rule) is declared too. Write the message for a client: it is shown as is.
/// </summary>
public class GenServerException : Exception
{
    public GenServerException()
    {
    }

    public GenServerException(string message)
        : base(message)
    {
    }

    public GenServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
