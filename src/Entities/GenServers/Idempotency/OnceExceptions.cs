namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>
/// A message was applied already under its idempotency key, and its reply is not kept (it was too large, or newer keys
/// pushed its full record out while the key was still in its window): it is not applied again, and there is no reply to
/// repeat. The HTTP call answers 410 Gone.
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
