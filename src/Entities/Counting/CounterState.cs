namespace ServerlessGenServer.Entities.Counting;

/// <summary>The counter's state: the count.</summary>
public sealed record CounterState(long Value = 0);
