using Platform.Bench;

// make bench [SCENARIO=name]: runs every scenario, or the one named, and prints its figures.
var scenarios = new IScenario[] { new BusScenario(), new TokensScenario(), new PasswordScenario(), new IdentityScenario(), new ImageScenario(), new NetworkScenario(), new ComputeScenario(), new SchedulerScenario(), new VolumeScenario() };
var only = args.FirstOrDefault();
var results = new List<ScenarioResult>();
foreach (var scenario in scenarios.Where(s => only is null || s.Name == only))
{
    Console.WriteLine($"== {scenario.Name}: {scenario.Description}");
    results.Add(await scenario.RunAsync());
}
if (results.Count == 0)
{
    Console.Error.WriteLine($"no scenario named '{only}'; known: {string.Join(", ", scenarios.Select(s => s.Name))}");
    return 2;
}
var path = Results.Write(results);
Console.WriteLine($"results written to {path}");
return 0;
