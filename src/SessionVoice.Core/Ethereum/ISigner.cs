namespace SessionVoice.Core.Ethereum;

/// <summary>The seam for whatever holds a key (a local key today, a KMS or Nethereum signer tomorrow).</summary>
public interface ISigner
{
    Address Address { get; }

    /// <summary>Signs a 32-byte digest; the result has low s.</summary>
    Signature Sign(Hash32 digest);
}
