using System.Security.Cryptography;
using System.Text;

namespace SessionVoice.Core.Agora;

/// <summary>
/// Builds an AccessToken2 with one or more services. RTM exists only so Agora's multi-service test
/// vector can be reproduced; the service issues RTC tokens.
/// </summary>
internal sealed class AccessToken2Builder
{
    private const ushort RtcServiceType = 1;
    private const ushort RtmServiceType = 2;
    private const ushort RtmLoginPrivilege = 1;

    private readonly AgoraCredentials _creds;
    private readonly uint _issueTs;
    private readonly uint _salt;
    private readonly uint _expireSeconds;
    // Services are packed in ascending type order; at most one of each.
    private readonly SortedDictionary<ushort, byte[]> _services = [];

    public AccessToken2Builder(AgoraCredentials creds, uint issueTs, uint salt, uint expireSeconds)
    {
        ArgumentNullException.ThrowIfNull(creds);
        RequireExpiry(expireSeconds, nameof(expireSeconds));
        _creds = creds;
        _issueTs = issueTs;
        _salt = salt;
        _expireSeconds = expireSeconds;
    }

    public AccessToken2Builder AddRtc(string channelName, uint uid, IReadOnlyDictionary<RtcPrivilege, uint> privileges)
    {
        if (!AgoraChannel.TryCreate(channelName, out _))
        {
            throw new ArgumentException("not a channel name Agora accepts (1–63 allowed characters; never empty or *)", nameof(channelName));
        }
        ArgumentNullException.ThrowIfNull(privileges);
        if (!privileges.TryGetValue(RtcPrivilege.JoinChannel, out var join))
        {
            throw new ArgumentException("an RTC token carries the join privilege", nameof(privileges));
        }
        var sorted = new SortedDictionary<ushort, uint>();
        foreach (var (privilege, seconds) in privileges)
        {
            if (!Enum.IsDefined(privilege))
            {
                throw new ArgumentException($"unknown RTC privilege {(ushort)privilege}", nameof(privileges));
            }
            RequireExpiry(seconds, nameof(privileges));
            if (seconds > _expireSeconds)
            {
                throw new ArgumentException($"privilege {privilege} outlives the token", nameof(privileges));
            }
            if (seconds > join)
            {
                throw new ArgumentException($"privilege {privilege} outlives the join privilege", nameof(privileges));
            }
            sorted.Add((ushort)privilege, seconds);
        }
        var body = Privileges(RtcServiceType, sorted)
            .String(channelName)
            .String(AccessToken2.UidString(uid));
        return AddService(RtcServiceType, body.ToArray());
    }

    public AccessToken2Builder AddRtm(string userId, uint loginExpireSeconds)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        RequireExpiry(loginExpireSeconds, nameof(loginExpireSeconds));
        var body = Privileges(RtmServiceType, new SortedDictionary<ushort, uint> { [RtmLoginPrivilege] = loginExpireSeconds })
            .String(userId);
        return AddService(RtmServiceType, body.ToArray());
    }

    public string Build() => AccessToken2.Encode(BuildContent().Content);

    public AccessToken2Content BuildContent()
    {
        if (_services.Count == 0)
        {
            throw new InvalidOperationException("a token needs at least one service");
        }
        var signingInfo = new TokenWriter()
            .String(_creds.AppId)
            .U32(_issueTs)
            .U32(_expireSeconds)
            .U32(_salt)
            .U16((ushort)_services.Count);
        foreach (var service in _services.Values)
        {
            signingInfo.Raw(service);
        }
        var info = signingInfo.ToArray();
        var signature = HMACSHA256.HashData(SigningKey(_creds.AppCertificate, _issueTs, _salt).K2, info);
        var content = new TokenWriter().Bytes(signature).Raw(info).ToArray();
        return new AccessToken2Content(info, signature, content);
    }

    /// <summary>
    /// The key chain, with Agora's argument order: the integers are the HMAC keys and the
    /// certificate's ASCII text (not hex-decoded) is the first message.
    /// </summary>
    internal static (byte[] K1, byte[] K2) SigningKey(string appCertificate, uint issueTs, uint salt)
    {
        var k1 = FirstKey(appCertificate, issueTs);
        var k2 = HMACSHA256.HashData(new TokenWriter().U32(salt).ToArray(), k1);
        return (k1, k2);
    }

    // k1 depends only on the certificate and the issue second, and every token issued in one second
    // shares it: keep the last one (an immutable record, so racing threads at worst compute it twice).
    private sealed record FirstKeyCache(string Certificate, uint IssueTs, byte[] K1);

    private static FirstKeyCache? _firstKey;

    private static byte[] FirstKey(string appCertificate, uint issueTs)
    {
        if (_firstKey is { } cached && cached.IssueTs == issueTs && ReferenceEquals(cached.Certificate, appCertificate))
        {
            return cached.K1;
        }
        var k1 = HMACSHA256.HashData(new TokenWriter().U32(issueTs).ToArray(), Encoding.ASCII.GetBytes(appCertificate));
        _firstKey = new FirstKeyCache(appCertificate, issueTs, k1);
        return k1;
    }

    private AccessToken2Builder AddService(ushort type, byte[] body)
    {
        if (!_services.TryAdd(type, body))
        {
            throw new InvalidOperationException($"service {type} was already added");
        }
        return this;
    }

    private static TokenWriter Privileges(ushort serviceType, SortedDictionary<ushort, uint> privileges)
    {
        var writer = new TokenWriter().U16(serviceType).U16((ushort)privileges.Count);
        foreach (var (id, seconds) in privileges)
        {
            writer.U16(id).U32(seconds);
        }
        return writer;
    }

    private static void RequireExpiry(uint seconds, string name)
    {
        if (seconds is 0 or > AccessToken2.MaxExpireSeconds)
        {
            throw new ArgumentOutOfRangeException(name, seconds, "expiries are relative seconds in 1 … 86400");
        }
    }
}
