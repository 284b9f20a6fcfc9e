namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>
/// A message was applied already under its idempotency key, and its reply was too large to keep: it is not applied again,
/// and there is no reply to repeat. The HTTP call answers 409.
/// </summary>
public sealed class AlreadyAppliedException : Exception
{
    public AlreadyAppliedException()
    {
    }

    public AlreadyAppliedException(string message)
        : base(message)
    {
    }

    public AlreadyAppliedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// An idempotency key came again with another operation or input within its window: the new message is refused, since
/// applying it or answering with the other message's reply would both be wrong. The HTTP call answers 422.
/// </summary>
public sealed class IdempotencyKeyReusedException : Exception
{
    public IdempotencyKeyReusedException()
    {
    }

    public IdempotencyKeyReusedException(string message)
        : base(message)
    {
    }

    public IdempotencyKeyReusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
