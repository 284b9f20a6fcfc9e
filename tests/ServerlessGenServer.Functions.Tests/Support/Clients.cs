using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Moq;

namespace ServerlessGenServer.Functions.Tests.Support;

/// <summary>Strict mocks of the Durable client. Set up the long overloads: the short ones forward to them.</summary>
internal sealed class Clients
{
    public Clients()
    {
        Client.SetupGet(c => c.Entities).Returns(Entities.Object);
    }

    public Mock<DurableTaskClient> Client { get; } = new(MockBehavior.Strict, "test");

    public Mock<DurableEntityClient> Entities { get; } = new(MockBehavior.Strict, "test");
}
