using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Identity.Keys;

/// <summary>
/// The repository's files: <c>N.pem</c> (PKCS#8), <c>N.retired</c> (when key N stopped being
/// primary) and <c>.lock</c>. Writes go to a temporary name first and are renamed into place, so
/// an instance reading the shared directory never sees half a file.
/// </summary>
internal static class KeyFiles
{
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string KeyPath(string directory, int index) => Path.Combine(directory, $"{index}.pem");
    public static string RetiredPath(string directory, int index) => Path.Combine(directory, $"{index}.retired");

    /// <summary>The indexes of the <c>N.pem</c> files; other names (temporary files) are not keys.</summary>
    public static List<int> Indexes(string directory)
    {
        var indexes = new List<int>();
        if (!Directory.Exists(directory)) return indexes;
        foreach (var path in Directory.EnumerateFiles(directory, "*.pem"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.Length > 0 && name.All(char.IsAsciiDigit)
                && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index.ToString(CultureInfo.InvariantCulture) == name)
                indexes.Add(index);
        }
        indexes.Sort();
        return indexes;
    }

    /// <summary>
    /// What changes whenever a key file is added, renamed, removed or rewritten: names, sizes and
    /// modification times, and the directory's own time (a Kubernetes volume swaps a symlink).
    /// </summary>
    public static string Fingerprint(string directory)
    {
        try
        {
            if (!Directory.Exists(directory)) return "";
            var text = new StringBuilder().Append(Directory.GetLastWriteTimeUtc(directory).Ticks);
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles().Where(f => !f.Name.StartsWith('.')).OrderBy(f => f.Name, StringComparer.Ordinal))
                text.Append('|').Append(file.Name).Append(':').Append(file.Length).Append(':').Append(file.LastWriteTimeUtc.Ticks);
            return text.ToString();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Matches nothing, so the caller loads and reports what is wrong.
            return "unreadable:" + Guid.NewGuid();
        }
    }

    public static ECDsa ReadKey(string directory, int index)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(KeyPath(directory, index)));
            if (key.KeySize != 256) throw new CryptographicException($"{index}.pem is not a P-256 key");
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static void WriteNewKey(string directory, int index)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteAtomically(directory, $"{index}.pem", key.ExportPkcs8PrivateKeyPem());
    }

    public static DateTimeOffset? ReadRetired(string directory, int index)
    {
        var path = RetiredPath(directory, index);
        if (!File.Exists(path)) return null;
        return DateTimeOffset.TryParse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;
    }

    public static void WriteRetired(string directory, int index, DateTimeOffset at) =>
        WriteAtomically(directory, $"{index}.retired", at.UtcDateTime.ToString("o", CultureInfo.InvariantCulture) + "\n");

    public static void CreateDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (Path.GetDirectoryName(full) is { } parent) Directory.CreateDirectory(parent);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            return;
        }
        Directory.CreateDirectory(full, DirectoryMode700);
        // It may have existed already, with looser rights.
        File.SetUnixFileMode(full, DirectoryMode700);
    }

    /// <summary>
    /// An exclusive lock on the repository across processes (flock on Linux), so two rotations
    /// never interleave. Waits up to <paramref name="timeout"/>.
    /// </summary>
    public static FileStream Lock(string directory, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(directory, ".lock"), Options(FileMode.OpenOrCreate, FileAccess.ReadWrite));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static void WriteAtomically(string directory, string name, string content)
    {
        var temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, Options(FileMode.CreateNew, FileAccess.Write)))
            {
                stream.Write(Encoding.ASCII.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, Path.Combine(directory, name), overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static FileStreamOptions Options(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode600;
        return options;
    }
}
