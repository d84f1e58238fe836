using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using SessionVoice.Core.Ethereum;

// Request bodies for the loopback load scenario, signed with our own signer:
//   auth   <count> <out.json>                 distinct signed heaven-session messages (replay protection stays on)
//   verify <baseUrl> <count> <out.json>       nonces fetched from the service, signed by their wallets
//   token  <baseUrl> <privateKeyHex>          a JWT for one wallet (printed)
var mode = args.FirstOrDefault();
switch (mode)
{
    case "auth" when args.Length == 3:
    {
        var count = int.Parse(args[1], CultureInfo.InvariantCulture);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // Each wallet signs up to 400 timestamps inside the ±300 s window: every (wallet, ts) pair is new.
        var bodies = new string[count];
        Parallel.For(0, (count + 399) / 400, w =>
        {
            var signer = new PrivateKeySigner(RandomKey());
            for (var i = w * 400; i < Math.Min(count, (w + 1) * 400); i++)
            {
                var message = $"heaven-session:{now - 200 + (i % 400)}";
                bodies[i] = JsonSerializer.Serialize(new { wallet = signer.Address.ToString(), message, signature = PersonalMessage.Sign(message, signer).ToHex() });
            }
        });
        await File.WriteAllTextAsync(args[2], JsonSerializer.Serialize(bodies));
        Console.WriteLine($"{count} /auth bodies -> {args[2]}");
        return 0;
    }
    case "verify" when args.Length == 4:
    {
        using var http = new HttpClient { BaseAddress = Loopback(args[1]) };
        var count = int.Parse(args[2], CultureInfo.InvariantCulture);
        var bodies = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            var signer = new PrivateKeySigner(RandomKey());
            var response = await http.PostAsJsonAsync("/auth/nonce", new { wallet = signer.Address.ToString() }, ct);
            response.EnsureSuccessStatusCode();
            var nonce = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("nonce").GetString()!;
            bodies.Add(JsonSerializer.Serialize(new { wallet = signer.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, signer).ToHex() }));
        });
        await File.WriteAllTextAsync(args[3], JsonSerializer.Serialize(bodies.ToArray()));
        Console.WriteLine($"{count} /auth/verify bodies -> {args[3]}");
        return 0;
    }
    case "token" when args.Length == 3:
    {
        using var http = new HttpClient { BaseAddress = Loopback(args[1]) };
        var signer = new PrivateKeySigner(Hex.Decode(args[2]));
        var message = $"heaven-session:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}";
        var response = await http.PostAsJsonAsync("/auth", new { wallet = signer.Address.ToString(), message, signature = PersonalMessage.Sign(message, signer).ToHex() });
        response.EnsureSuccessStatusCode();
        Console.WriteLine((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
        return 0;
    }
    default:
        Console.Error.WriteLine("usage: auth <count> <out.json> | verify <baseUrl> <count> <out.json> | token <baseUrl> <privateKeyHex>");
        return 2;
}

static byte[] RandomKey()
{
    while (true)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        if (Secp256k1.IsValidPrivateKey(key))
        {
            return key;
        }
    }
}

static Uri Loopback(string url)
{
    var uri = new Uri(url);
    return uri.IsLoopback ? uri : throw new ArgumentException("load is only sent to 127.0.0.1");
}
