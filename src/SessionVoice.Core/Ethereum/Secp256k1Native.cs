using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SessionVoice.Core.Ethereum;

/// <summary>
/// secp256k1 recovery and signing through the reference C library, libsecp256k1 (built with its
/// recovery module, as Debian's <c>libsecp256k1-1</c> is). When the library is missing or lacks a
/// function, <see cref="IsAvailable"/> is false and <see cref="Secp256k1"/> stays on BouncyCastle.
/// </summary>
/// <remarks>
/// <para>One context is created at start-up and never destroyed. Every call here takes it as
/// <c>const</c>, which libsecp256k1 documents as safe to share between threads.</para>
/// <para>libsecp256k1's default "illegal argument" callback calls <c>abort()</c>. These wrappers
/// therefore only pass arguments that the library accepts: a recovery id of 0 or 1, 32-byte inputs,
/// and output buffers of the sizes it expects. Range checks on r and s stay with the callers, as on
/// the managed path.</para>
/// <para>These are <c>[DllImport]</c> declarations with <c>ref byte</c> parameters, not
/// <c>[LibraryImport]</c>. The source generator needs <c>AllowUnsafeBlocks</c> (SYSLIB1062), and
/// this project does not enable it. A <c>byte</c> is blittable, so the runtime pins the buffer and
/// does not copy it. The calls also work under Native AOT.</para>
/// </remarks>
public static class Secp256k1Native
{
    private const string LibraryName = "secp256k1";

    // The sonames to try, newest ABI first. Debian bookworm ships .so.1 (0.2.0); trixie ships .so.2.
    // .so.0 is the pre-0.2 snapshot that older distributions package. The functions used here have
    // kept the same signatures across these versions.
    private static readonly string[] Candidates =
        ["libsecp256k1.so.2", "libsecp256k1.so.1", "libsecp256k1.so", "libsecp256k1.so.0", "libsecp256k1.dylib", "secp256k1"];

    private static readonly string[] RequiredExports =
    [
        "secp256k1_context_create", "secp256k1_context_randomize", "secp256k1_ec_pubkey_create", "secp256k1_ec_pubkey_serialize",
        "secp256k1_ecdsa_recoverable_signature_parse_compact", "secp256k1_ecdsa_recoverable_signature_serialize_compact",
        "secp256k1_ecdsa_recover", "secp256k1_ecdsa_sign_recoverable",
    ];

    // include/secp256k1.h. Since 0.2.0 VERIFY and SIGN are deprecated and ignored, and NONE (= 1)
    // gives the same context. Before 0.2.0, a context without them made recovery or signing hit
    // the illegal-argument callback, which aborts. VERIFY | SIGN is correct for every version.
    private const uint ContextVerify = 1 | (1 << 8);
    private const uint ContextSign = 1 | (1 << 9);
    private const uint EcUncompressed = 1 << 1;

    private const int RecoverableSignatureSize = 65; // opaque secp256k1_ecdsa_recoverable_signature
    private const int PublicKeySize = 64;             // opaque secp256k1_pubkey

    private static nint _library;

    // Created once, on first use of this type (static field initialisers run in textual order).
    private static readonly nint Context = CreateContext();

    /// <summary>True when libsecp256k1 (with the recovery module) was loaded and passed a self-test.</summary>
    public static bool IsAvailable { get; } = Context != 0 && SelfTest();

    /// <summary>
    /// The 64-byte X‖Y public key that signed <paramref name="hash"/>, or null. The caller checks
    /// first that r and s are in [1, n) and that the recovery id is 0 or 1. High-s is accepted here,
    /// as on the managed path.
    /// </summary>
    internal static byte[]? RecoverPublicKey(Hash32 hash, Signature signature)
    {
        if (signature.RecoveryId > 1)
        {
            return null;
        }
        Span<byte> compact = stackalloc byte[64];
        Signature.WriteWord(signature.R, compact[..32]);
        Signature.WriteWord(signature.S, compact[32..]);
        Span<byte> digest = stackalloc byte[32];
        hash.WriteTo(digest);
        var publicKey = new byte[64];
        return Recover(digest, compact, signature.RecoveryId, publicKey) ? publicKey : null;
    }

    /// <summary>
    /// Signs with RFC 6979 (libsecp256k1's default nonce, HMAC-SHA256). libsecp256k1 always returns
    /// a low-s signature. The result must recover to <paramref name="expectedPublicKey"/>, or, if that
    /// is empty, to the key's own public key. It returns false when it cannot produce such a signature
    /// (including recovery ids 2 and 3, which the rest of the code does not support). The managed
    /// path then decides, and it throws where it would have thrown before.
    /// </summary>
    internal static bool TrySign(Hash32 hash, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> expectedPublicKey, out Signature signature)
    {
        signature = default;
        if (privateKey.Length != 32 || (!expectedPublicKey.IsEmpty && expectedPublicKey.Length != 64))
        {
            return false;
        }
        Span<byte> digest = stackalloc byte[32];
        hash.WriteTo(digest);
        Span<byte> compact = stackalloc byte[64];
        if (!Sign(digest, privateKey, compact, out var recoveryId) || recoveryId > 1)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[64];
        if (expectedPublicKey.IsEmpty)
        {
            if (!PublicKey(privateKey, expected))
            {
                return false;
            }
        }
        else
        {
            expectedPublicKey.CopyTo(expected);
        }
        Span<byte> recovered = stackalloc byte[64];
        if (!Recover(digest, compact, recoveryId, recovered) || !recovered.SequenceEqual(expected))
        {
            return false;
        }
        signature = new Signature(
            new System.Numerics.BigInteger(compact[..32], isUnsigned: true, isBigEndian: true),
            new System.Numerics.BigInteger(compact[32..], isUnsigned: true, isBigEndian: true),
            (byte)recoveryId);
        return true;
    }

    private static bool Recover(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> compact, int recoveryId, Span<byte> publicKeyXY)
    {
        Span<byte> recoverable = stackalloc byte[RecoverableSignatureSize];
        // parse_compact refuses r or s ≥ n. recover refuses r or s = 0, an r that is no x on the
        // curve, and a result at infinity.
        if (secp256k1_ecdsa_recoverable_signature_parse_compact(Context, ref MemoryMarshal.GetReference(recoverable), in MemoryMarshal.GetReference(compact), recoveryId) != 1)
        {
            return false;
        }
        Span<byte> publicKey = stackalloc byte[PublicKeySize];
        if (secp256k1_ecdsa_recover(Context, ref MemoryMarshal.GetReference(publicKey), in MemoryMarshal.GetReference(recoverable), in MemoryMarshal.GetReference(digest)) != 1)
        {
            return false;
        }
        return Serialize(publicKey, publicKeyXY);
    }

    private static bool Sign(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> privateKey, Span<byte> compact, out int recoveryId)
    {
        recoveryId = -1;
        Span<byte> recoverable = stackalloc byte[RecoverableSignatureSize];
        // A null nonce function selects secp256k1_nonce_function_default (RFC 6979). The call
        // returns 0 for a key that is zero or ≥ n.
        if (secp256k1_ecdsa_sign_recoverable(Context, ref MemoryMarshal.GetReference(recoverable), in MemoryMarshal.GetReference(digest), in MemoryMarshal.GetReference(privateKey), 0, 0) != 1)
        {
            return false;
        }
        return secp256k1_ecdsa_recoverable_signature_serialize_compact(Context, ref MemoryMarshal.GetReference(compact), out recoveryId, in MemoryMarshal.GetReference(recoverable)) == 1;
    }

    /// <summary>The 64-byte X‖Y public key of a valid private key, or null if libsecp256k1 refuses it.</summary>
    internal static byte[]? TryPublicKey(ReadOnlySpan<byte> privateKey)
    {
        var publicKeyXY = new byte[64];
        return PublicKey(privateKey, publicKeyXY) ? publicKeyXY : null;
    }

    private static bool PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKeyXY)
    {
        Span<byte> publicKey = stackalloc byte[PublicKeySize];
        return secp256k1_ec_pubkey_create(Context, ref MemoryMarshal.GetReference(publicKey), in MemoryMarshal.GetReference(privateKey)) == 1
            && Serialize(publicKey, publicKeyXY);
    }

    private static bool Serialize(ReadOnlySpan<byte> publicKey, Span<byte> publicKeyXY)
    {
        Span<byte> uncompressed = stackalloc byte[65];
        nuint length = 65;
        if (secp256k1_ec_pubkey_serialize(Context, ref MemoryMarshal.GetReference(uncompressed), ref length, in MemoryMarshal.GetReference(publicKey), EcUncompressed) != 1
            || length != 65 || uncompressed[0] != 0x04)
        {
            return false;
        }
        uncompressed[1..].CopyTo(publicKeyXY);
        return true;
    }

    private static nint CreateContext()
    {
        try
        {
            _library = LoadLibrary();
            if (_library == 0)
            {
                return 0;
            }
            foreach (var export in RequiredExports)
            {
                if (!NativeLibrary.TryGetExport(_library, export, out _))
                {
                    return 0;
                }
            }
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Secp256k1Native).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // Another resolver already serves this assembly. The DllImports then go through
                // default probing, and the self-test shows whether they bind.
            }
            var context = secp256k1_context_create(ContextVerify | ContextSign);
            if (context == 0)
            {
                return 0;
            }
            // Blinding against side channels while signing. It does not change any output: RFC 6979
            // signatures stay deterministic. It runs before the context is published, because this
            // call is the one operation that is not thread-safe.
            Span<byte> seed = stackalloc byte[32];
            RandomNumberGenerator.Fill(seed);
            _ = secp256k1_context_randomize(context, in MemoryMarshal.GetReference(seed));
            CryptographicOperations.ZeroMemory(seed);
            return context;
        }
        catch (DllNotFoundException)
        {
            return 0;
        }
        catch (EntryPointNotFoundException)
        {
            return 0;
        }
        catch (BadImageFormatException)
        {
            return 0;
        }
    }

    private static nint LoadLibrary()
    {
        foreach (var name in Candidates)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return handle;
            }
        }
        return 0;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibraryName ? _library : 0;

    // Private key 1 has the generator G as its public key. Signing with it and recovering the
    // signature checks every function used here against a constant known in advance.
    private static bool SelfTest()
    {
        try
        {
            Span<byte> one = stackalloc byte[32];
            one[31] = 1;
            Span<byte> g = stackalloc byte[64];
            Convert.FromHexString("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8", g, out _, out _);
            Span<byte> digest = stackalloc byte[32];
            digest.Fill(0x5a);
            Span<byte> publicKey = stackalloc byte[64];
            Span<byte> compact = stackalloc byte[64];
            Span<byte> recovered = stackalloc byte[64];
            return PublicKey(one, publicKey) && publicKey.SequenceEqual(g)
                && Sign(digest, one, compact, out var recoveryId) && recoveryId is 0 or 1
                && Recover(digest, compact, recoveryId, recovered) && recovered.SequenceEqual(g);
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    // include/secp256k1.h and include/secp256k1_recovery.h. Pointers to structures and buffers are
    // passed as ref/in byte. size_t is nuint. int and unsigned int are 32-bit. These are DllImport,
    // not LibraryImport (see the remarks on the class); SYSLIB1054 only suggests the change.
    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint secp256k1_context_create(uint flags);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_context_randomize(nint context, in byte seed32);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_ec_pubkey_create(nint context, ref byte publicKey, in byte secretKey32);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_ec_pubkey_serialize(nint context, ref byte output, ref nuint outputLength, in byte publicKey, uint flags);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_ecdsa_recoverable_signature_parse_compact(nint context, ref byte signature, in byte input64, int recoveryId);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_ecdsa_recoverable_signature_serialize_compact(nint context, ref byte output64, out int recoveryId, in byte signature);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_ecdsa_recover(nint context, ref byte publicKey, in byte signature, in byte message32);

    [DllImport(LibraryName, ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int secp256k1_ecdsa_sign_recoverable(nint context, ref byte signature, in byte message32, in byte secretKey32, nint nonceFunction, nint nonceData);
}
