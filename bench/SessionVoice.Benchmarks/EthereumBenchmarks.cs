using System.Numerics;
using BenchmarkDotNet.Attributes;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Benchmarks;

/// <summary>Sign-in signature recovery (goal: ≤ 100 µs), split into its hash and its curve parts.</summary>
[MemoryDiagnoser]
public class EcrecoverBenchmarks
{
    private readonly string _message = "heaven-session:1700000000";

    private byte[] _signature = [];
    private Hash32 _hash;
    private Signature _parsed;

    [GlobalSetup]
    public void Setup()
    {
        _signature = PersonalMessage.Sign(_message, Fixtures.Signer()).ToBytes();
        _hash = PersonalMessage.Hash(_message);
        Fixtures.Check(Signature.TryParse(_signature, out _parsed), "signature parses");
        Fixtures.Check(PersonalMessage.Recover(_message, _signature) == Fixtures.Key0Address, "recovers anvil key 0");
    }

    /// <summary>What the sign-in endpoint calls: parse, low-s check, EIP-191 hash, recover, address.</summary>
    [Benchmark(Baseline = true)]
    public Address? Ecrecover() => PersonalMessage.Recover(_message, _signature);

    /// <summary>The curve part alone (hash precomputed): Q = r⁻¹(s·R − e·G) plus keccak of Q.</summary>
    [Benchmark]
    public Address? RecoverAddressOnly() => Secp256k1.RecoverAddress(_hash, _parsed);

    /// <summary>The EIP-191 hash alone.</summary>
    [Benchmark]
    public Hash32 PersonalMessageHash() => PersonalMessage.Hash(_message);
}

/// <summary>Keccak-256 (BouncyCastle KeccakDigest) of a 32-byte word and of 1 KiB.</summary>
[MemoryDiagnoser]
public class KeccakBenchmarks
{
    private byte[] _data = [];

    [Params(32, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(1).NextBytes(_data);
    }

    [Benchmark]
    public Hash32 Keccak() => Keccak256.Hash(_data);
}

/// <summary>The oracle signing an <c>attest(bookingId, Completed, metricsHash)</c> EIP-1559 transaction.</summary>
[MemoryDiagnoser]
public class Eip1559SignBenchmarks
{
    private PrivateKeySigner _signer = null!;
    private Eip1559Transaction _tx = null!;
    private Hash32 _signingHash;

    [GlobalSetup]
    public void Setup()
    {
        _signer = Fixtures.Signer();
        var escrow = Address.Parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
        var data = EscrowAbi.AttestCall(new BookingId(42), Outcome.Completed, Keccak256.Hash("metrics"u8));
        _tx = new Eip1559Transaction(
            ChainId: 31337,
            Nonce: 7,
            MaxPriorityFeePerGas: new BigInteger(1_000_000_000),
            MaxFeePerGas: new BigInteger(30_000_000_000),
            GasLimit: 120_000,
            To: escrow,
            Value: BigInteger.Zero,
            Data: data);
        _signingHash = _tx.SigningHash();
        var signed = _tx.Sign(_signer);
        Fixtures.Check(signed.Raw[0] == 0x02, "type-2 envelope");
    }

    /// <summary>Signing hash (RLP + keccak), RFC 6979 ECDSA, recovery-id search, signed RLP, tx hash.</summary>
    [Benchmark(Baseline = true)]
    public SignedTransaction Eip1559Sign() => _tx.Sign(_signer);

    /// <summary>The ECDSA part alone: BouncyCastle sign + low-s + up to two recoveries to find v.</summary>
    [Benchmark]
    public Signature SignDigestOnly() => _signer.Sign(_signingHash);

    /// <summary>RLP encoding and keccak of the unsigned payload alone.</summary>
    [Benchmark]
    public Hash32 SigningHashOnly() => _tx.SigningHash();
}
