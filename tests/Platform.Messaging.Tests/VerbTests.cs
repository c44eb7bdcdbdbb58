using Platform.Context;
using Platform.TestSupport;

namespace Platform.Messaging.Tests;

/// <summary>The three verbs over the real RabbitMQ, each host a bus of its own as processes are.</summary>
public sealed class VerbTests(RabbitMqFixture rabbit) : IClassFixture<RabbitMqFixture>
{
    // A hung call must fail the test, not the run.
    private static readonly TimeSpan hangGuard = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_call_gets_its_reply()
    {
        var url = await rabbit.NewVirtualHostAsync("call");
        var server = await TestBus.StartAsync(url, "server", b => b.Queue("echo", e => e.Consumer<EchoConsumer>()));
        var client = await TestBus.StartAsync(url, "client");
        try
        {
            var reply = await client.Rpc().CallAsync<Echo, Echoed>("echo", new Echo("hello"), TimeSpan.FromSeconds(20)).WaitAsync(hangGuard);
            Assert.Equal("hello", reply.Text);

            // Many calls in flight at once each get their own reply.
            var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
                client.Rpc().CallAsync<Echo, Echoed>("echo", new Echo($"m{i}"), TimeSpan.FromSeconds(20)))).WaitAsync(hangGuard);
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), replies.Select(r => r.Text));
        }
        finally
        {
            await client.StopQuietlyAsync();
            await server.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_call_nobody_answers_times_out()
    {
        var url = await rabbit.NewVirtualHostAsync("timeout");
        var client = await TestBus.StartAsync(url, "client");
        try
        {
            var started = DateTime.UtcNow;
            var error = await Assert.ThrowsAsync<RpcTimeoutException>(() =>
                client.Rpc().CallAsync<Echo, Echoed>("nobody-listens", new Echo("anyone?"), TimeSpan.FromSeconds(1)).WaitAsync(hangGuard));
            Assert.Equal("nobody-listens", error.Destination);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
        }
        finally
        {
            await client.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_call_whose_consumer_fails_gets_the_remote_error()
    {
        var url = await rabbit.NewVirtualHostAsync("fault");
        var server = await TestBus.StartAsync(url, "server", b => b.Queue("explode", e => e.Consumer<ExplodeConsumer>()));
        var client = await TestBus.StartAsync(url, "client");
        try
        {
            var error = await Assert.ThrowsAsync<RpcRemoteException>(() =>
                client.Rpc().CallAsync<Explode, Echoed>("explode", new Explode("no valid host"), TimeSpan.FromSeconds(30)).WaitAsync(hangGuard));
            Assert.Contains("no valid host", error.RemoteMessage);
            Assert.Contains("InvalidOperationException", error.ExceptionType);
            // The poison message is kept where an operator can see it.
            Assert.True(await Eventually.TrueAsync(async () => await rabbit.QueueDepthAsync(url, "explode_error") == 1, TimeSpan.FromSeconds(20)));
        }
        finally
        {
            await client.StopQuietlyAsync();
            await server.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_cast_reaches_exactly_one_consumer_of_the_named_queue()
    {
        var url = await rabbit.NewVirtualHostAsync("cast");
        var workerA = await TestBus.StartAsync(url, "a", b => b.Queue("conductor", e => e.Consumer<RecordingConsumer>()));
        var workerB = await TestBus.StartAsync(url, "b", b => b.Queue("conductor", e => e.Consumer<RecordingConsumer>()));
        var other = await TestBus.StartAsync(url, "other", b => b.Queue("scheduler", e => e.Consumer<RecordingConsumer>()));
        var client = await TestBus.StartAsync(url, "client");
        try
        {
            const int count = 40;
            for (var i = 0; i < count; i++)
                await client.Rpc().CastAsync("conductor", new WorkItem(i));

            Assert.True(await Eventually.TrueAsync(
                () => workerA.Received().Messages.Count + workerB.Received().Messages.Count >= count, TimeSpan.FromSeconds(30)));
            var numbers = workerA.Received().Messages.Concat(workerB.Received().Messages).Cast<WorkItem>().Select(w => w.Number).OrderBy(n => n).ToList();
            Assert.Equal(Enumerable.Range(0, count), numbers);
            // A cast to one queue is not seen by another queue's consumers of the same type.
            Assert.Empty(other.Received().Messages);
        }
        finally
        {
            foreach (var h in new[] { client, other, workerB, workerA }) await h.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_cast_to_a_host_queue_reaches_only_that_host()
    {
        var url = await rabbit.NewVirtualHostAsync("hostcast");
        var host1 = await TestBus.StartAsync(url, "node1", b => b.HostQueue("compute", e => e.Consumer<RecordingConsumer>()));
        var host2 = await TestBus.StartAsync(url, "node2", b => b.HostQueue("compute", e => e.Consumer<RecordingConsumer>()));
        var client = await TestBus.StartAsync(url, "client");
        try
        {
            await client.Rpc().CastAsync(EndpointNames.ForHost("compute", "node2"), new WorkItem(7));
            Assert.True(await Eventually.TrueAsync(() => host2.Received().Messages.Count == 1, TimeSpan.FromSeconds(20)));
            Assert.Empty(host1.Received().Messages);
        }
        finally
        {
            foreach (var h in new[] { client, host2, host1 }) await h.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task A_fanout_reaches_every_subscribed_instance()
    {
        var url = await rabbit.NewVirtualHostAsync("fanout");
        var agents = new List<Microsoft.Extensions.Hosting.IHost>();
        foreach (var name in new[] { "h1", "h2", "h3" })
            agents.Add(await TestBus.StartAsync(url, name, b => b.Fanout("ovs-agent", e => e.Consumer<RecordingConsumer>())));
        var server = await TestBus.StartAsync(url, "server");
        try
        {
            await server.Rpc().FanoutAsync(new Announcement("port_update"));
            Assert.True(await Eventually.TrueAsync(() => agents.All(a => a.Received().Messages.Count >= 1), TimeSpan.FromSeconds(20)));
            // Exactly one copy each, no more.
            await server.Rpc().FanoutAsync(new Announcement("second"));
            Assert.True(await Eventually.TrueAsync(() => agents.All(a => a.Received().Messages.Count >= 2), TimeSpan.FromSeconds(20)));
            Assert.All(agents, a => Assert.Equal(2, a.Received().Messages.Count));
        }
        finally
        {
            await server.StopQuietlyAsync();
            foreach (var a in agents) await a.StopQuietlyAsync();
        }
    }

    [Fact]
    public async Task The_callers_context_travels_in_headers()
    {
        var url = await rabbit.NewVirtualHostAsync("context");
        var server = await TestBus.StartAsync(url, "server", b => b.Queue("echo", e => e.Consumer<EchoConsumer>()));
        var client = await TestBus.StartAsync(url, "client");
        try
        {
            var caller = new RequestContext { UserId = "u1", ProjectId = "p1", Roles = ["member", "reader"], AuthToken = "secret-token" };
            RequestContextAccessor.Current = caller;
            var reply = await client.Rpc().CallAsync<Echo, Echoed>("echo", new Echo("who am i"), TimeSpan.FromSeconds(20)).WaitAsync(hangGuard);
            RequestContextAccessor.Current = null;

            Assert.Equal(caller.RequestId, reply.GlobalRequestId);
            Assert.Equal("u1", reply.UserId);
            Assert.Equal("p1", reply.ProjectId);
            Assert.Equal(["member", "reader"], reply.Roles);
        }
        finally
        {
            await client.StopQuietlyAsync();
            await server.StopQuietlyAsync();
        }
    }
}
