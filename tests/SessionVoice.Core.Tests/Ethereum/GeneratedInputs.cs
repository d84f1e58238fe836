using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

/// <summary>Inputs the reference comparisons generate from a seeded <see cref="Random"/>, so a failure names a replayable case.</summary>
internal static class GeneratedInputs
{
    public static byte[] RandomKey(Random random)
    {
        while (true)
        {
            var key = new byte[32];
            random.NextBytes(key);
            if (Secp256k1.IsValidPrivateKey(key))
            {
                return key;
            }
        }
    }

    public static BigInteger RandomUInt(Random random, int bytes)
    {
        var buffer = new byte[bytes];
        random.NextBytes(buffer);
        return new BigInteger(buffer, isUnsigned: true, isBigEndian: true);
    }
}
