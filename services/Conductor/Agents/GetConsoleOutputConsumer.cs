using ComputeAgent.Contracts;
using Conductor.Contracts;
using Conductor.Db;
using MassTransit;
using Platform.Data;

namespace Conductor.Agents;

/// <summary>os-getConsoleOutput: asked of the instance's host; an instance on no host is not ready (a 409).</summary>
public sealed class GetConsoleOutputConsumer(IDbConnectionFactory db, ComputeAgentClient compute) : IConsumer<GetConsoleOutput>
{
    public async Task Consume(ConsumeContext<GetConsoleOutput> context)
    {
        var m = context.Message;
        InstanceRow? row;
        await using (var c = await db.OpenAsync(context.CancellationToken))
            row = await Instances.GetAsync(c, m.InstanceUuid);
        if (row is null || row.Deleted)
        {
            await context.RespondAsync(new ConsoleOutputReply(null, NotFound: true));
            return;
        }
        if (row.Host is not { } host)
        {
            await context.RespondAsync(new ConsoleOutputReply(null, ConflictMessage: $"Instance {row.Uuid} is not ready"));
            return;
        }
        var output = await compute.CallGetConsoleOutputAsync(host, new GetInstanceConsoleOutput(m.InstanceUuid, m.Length), context.CancellationToken);
        await context.RespondAsync(output.NotFound
            ? new ConsoleOutputReply(null, ConflictMessage: $"Instance {row.Uuid} is not ready")
            : new ConsoleOutputReply(output.Output ?? ""));
    }
}
