using Microsoft.Extensions.Configuration;

namespace Platform.Hosting;

/// <summary>
/// Layers the configuration the way an operator expects: built-in appsettings, then the file
/// given with <c>--config-file</c> (INI like nova.conf, or JSON), then <c>PLATFORM_</c>
/// environment variables (<c>PLATFORM_database__connection</c>), then the command line.
/// </summary>
public static class ConfigurationSetup
{
    public const string EnvironmentPrefix = "PLATFORM_";

    public static void AddPlatformSources(IConfigurationManager configuration, string[] args)
    {
        // Several --config-file options layer in order, as oslo.config reads them.
        var files = FindConfigFiles(args);
        if (files.Count == 0 && configuration["config-file"] is { Length: > 0 } configured) files.Add(configured);
        foreach (var file in files)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path))
                throw new FileNotFoundException($"config file {path} does not exist", path);
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
            else
                configuration.AddIniFile(path, optional: false, reloadOnChange: false);
        }
        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(OptionArgs(args));
    }

    private static List<string> FindConfigFiles(string[] args)
    {
        var files = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config-file" && i + 1 < args.Length) files.Add(args[++i]);
            else if (args[i].StartsWith("--config-file=", StringComparison.Ordinal)) files.Add(args[i]["--config-file=".Length..]);
        }
        return files;
    }

    // Sub-commands (`db sync`) are positional words; only options are configuration.
    private static string[] OptionArgs(string[] args)
    {
        var options = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith('-')) continue;
            options.Add(args[i]);
            if (!args[i].Contains('=') && i + 1 < args.Length && !args[i + 1].StartsWith('-'))
                options.Add(args[++i]);
        }
        return [.. options];
    }
}
