namespace Platform.Messaging.Tests;

/// <summary>The in-memory transport gives unit tests the same verbs without a broker.</summary>
public sealed class InMemoryTransportTests
{
    [Fact]
    public async Task Call_and_cast_work_in_memory()
    {
        var host = await TestBus.StartAsync("memory://", "solo", b =>
        {
            b.Queue("echo", e => e.Consumer<EchoConsumer>());
            b.Queue("conductor", e => e.Consumer<RecordingConsumer>());
        });
        try
        {
            var reply = await host.Rpc().CallAsync<Echo, Echoed>("echo", new Echo("in memory"), TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("in memory", reply.Text);
            await host.Rpc().CastAsync("conductor", new WorkItem(1));
            Assert.True(await TestSupport.Eventually.TrueAsync(() => host.Received().Messages.Count == 1, TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await host.StopQuietlyAsync();
        }
    }
}
