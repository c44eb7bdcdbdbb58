using System.Security.Cryptography;
using System.Text;
using ComputeApi.Common;

namespace ComputeApi.Keypairs;

/// <summary>Makes new ssh keys and computes keypair fingerprints as nova shows them.</summary>
public static class KeyGenerator
{
    private static readonly string[] SshKeyTypes =
        ["ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"];

    /// <summary>A new RSA key: its private half in PEM (returned once) and its public half in OpenSSH form.</summary>
    public static (string PrivateKey, string PublicKey) NewRsa()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(includePrivateParameters: false);
        var blob = new MemoryStream();
        WriteString(blob, Encoding.ASCII.GetBytes("ssh-rsa"));
        WriteMpint(blob, p.Exponent!);
        WriteMpint(blob, p.Modulus!);
        var publicKey = $"ssh-rsa {Convert.ToBase64String(blob.ToArray())} Generated-by-Nova";
        return (rsa.ExportRSAPrivateKeyPem() + "\n", publicKey);
    }

    private static void WriteString(Stream s, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        s.Write(length);
        s.Write(data);
    }

    private static void WriteMpint(Stream s, byte[] unsignedBigEndian)
    {
        var start = 0;
        while (start < unsignedBigEndian.Length - 1 && unsignedBigEndian[start] == 0) start++;
        var trimmed = unsignedBigEndian[start..];
        WriteString(s, (trimmed[0] & 0x80) != 0 ? [0, .. trimmed] : trimmed);
    }

    /// <summary>nova's ssh fingerprint: MD5 of the decoded key as colon-separated hex; 400 when it is not an ssh public key.</summary>
    public static string SshFingerprint(string publicKey)
    {
        var parts = publicKey.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        byte[] data;
        try
        {
            if (parts.Length < 2 || !SshKeyTypes.Contains(parts[0])) throw new FormatException();
            data = Convert.FromBase64String(parts[1]);
            var typeLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data);
            if (typeLength <= 0 || typeLength + 4 > data.Length || Encoding.ASCII.GetString(data, 4, typeLength) != parts[0]) throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            throw NovaErrors.BadRequest("Keypair data is invalid: failed to generate fingerprint");
        }
#pragma warning disable CA5351 // nova's ssh fingerprint is MD5 by definition; it names a key, it protects nothing
        return Colons(MD5.HashData(data));
#pragma warning restore CA5351
    }

    /// <summary>nova's x509 fingerprint: SHA-1 of the certificate as colon-separated hex.</summary>
    public static string X509Fingerprint(string certificate)
    {
        try
        {
            using var cert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(certificate);
#pragma warning disable CA5350 // nova's x509 fingerprint is SHA-1 by definition; it names a certificate, it protects nothing
            return Colons(SHA1.HashData(cert.RawData));
#pragma warning restore CA5350
        }
        catch (CryptographicException)
        {
            throw NovaErrors.BadRequest("Keypair data is invalid: failed to generate fingerprint");
        }
    }

    private static string Colons(byte[] hash) => string.Join(':', hash.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
