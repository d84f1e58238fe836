using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Session token validation (<see cref="SessionToken"/>) with a bounded memory of the tokens it found valid: a client sends the same
/// session token on every request, and checking its HMAC, parsing its JSON and building its claims each time is most
/// of what authentication costs. A token is looked up by its exact string (any change to header, payload or signature
/// is another string and is validated in full), and a remembered one is used only until it expires as the validator
/// judges it (<c>exp</c> plus the clock skew, on the system clock as the validator's lifetime check): after that it is validated again, and refused.
/// Refusals are never remembered. Each answer gets its own copy of the claims.
/// </summary>
public sealed class ValidatedTokenCache : JsonWebTokenHandler
{
    /// <summary>Most tokens remembered; when full, the expired ones go, and all of them if none has expired.</summary>
    public const int MaxEntries = 2048;

    private readonly ConcurrentDictionary<string, Entry> _valid = new(StringComparer.Ordinal);

    /// <summary>Tokens remembered now (for tests).</summary>
    public int Count => _valid.Count;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = DateTime.UtcNow;
        if (_valid.TryGetValue(token, out var hit))
        {
            if (now <= hit.UsableUntil)
            {
                return new TokenValidationResult
                {
                    IsValid = true,
                    ClaimsIdentity = hit.Result.ClaimsIdentity.Clone(),
                    SecurityToken = hit.Result.SecurityToken,
                    Issuer = hit.Result.Issuer,
                    TokenType = hit.Result.TokenType,
                };
            }
            _valid.TryRemove(token, out _);
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt && jwt.ValidTo != DateTime.MinValue && result.ClaimsIdentity is not null)
        {
            if (_valid.Count >= MaxEntries)
            {
                Prune(now);
            }
            _valid[token] = new Entry(result, jwt.ValidTo + validationParameters.ClockSkew);
        }
        return result;
    }

    private void Prune(DateTime now)
    {
        foreach (var (token, entry) in _valid)
        {
            if (now > entry.UsableUntil)
            {
                _valid.TryRemove(token, out _);
            }
        }
        if (_valid.Count >= MaxEntries)
        {
            _valid.Clear();
        }
    }

    private sealed record Entry(TokenValidationResult Result, DateTime UsableUntil);
}
