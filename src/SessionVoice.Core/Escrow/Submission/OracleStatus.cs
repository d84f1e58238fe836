using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// What the oracle key is going through, for <c>/health/ready</c> and the metrics: the last classified error of a
/// submission (and whether a send has succeeded since), what one attestation costs at most (gas limit × fee cap
/// of the last send), and the balance last read. One per process; thread-safe.
/// </summary>
public sealed class OracleStatus
{
    private readonly Lock _gate = new();
    private OracleFault? _lastFault;
    private bool _faultCurrent;
    private BigInteger? _costPerAttestation;
    private (BigInteger Wei, long AtUnixMs)? _balance;

    public OracleStatus(Address? address) => Address = address;

    public Address? Address { get; }

    /// <summary>The last classified error, and whether nothing has been sent successfully since.</summary>
    public (OracleFault? Fault, bool Current) LastFault
    {
        get
        {
            lock (_gate)
            {
                return (_lastFault, _faultCurrent);
            }
        }
    }

    /// <summary>Gas limit × fee cap of the last transaction sent: the most one attestation can cost (null before the first).</summary>
    public BigInteger? CostPerAttestation
    {
        get
        {
            lock (_gate)
            {
                return _costPerAttestation;
            }
        }
    }

    public (BigInteger Wei, long AtUnixMs)? Balance
    {
        get
        {
            lock (_gate)
            {
                return _balance;
            }
        }
    }

    public void Fault(string reason, long atUnixMs)
    {
        lock (_gate)
        {
            _lastFault = new OracleFault(reason, atUnixMs);
            _faultCurrent = true;
        }
    }

    /// <summary>A transaction reached a node: whatever failed before is no longer what blocks the key.</summary>
    public void Sent(ulong gasLimit, BigInteger maxFeePerGas)
    {
        lock (_gate)
        {
            _faultCurrent = false;
            _costPerAttestation = gasLimit * maxFeePerGas;
        }
    }

    public void ObserveBalance(BigInteger wei, long atUnixMs)
    {
        lock (_gate)
        {
            _balance = (wei, atUnixMs);
        }
    }

    /// <summary>
    /// Whether the key cannot pay for <paramref name="pending"/> attestations: the balance is below what they cost
    /// at most or, before any send told what one costs, the node said "insufficient funds" and nothing was sent since.
    /// </summary>
    public bool CannotPay(int pending, BigInteger? balanceWei)
    {
        if (pending <= 0)
        {
            return false;
        }
        lock (_gate)
        {
            // The node judges gas limit × fee cap against the balance, as this does; without both figures, its word.
            return balanceWei is { } balance && _costPerAttestation is { } cost
                ? balance < cost * pending
                : _faultCurrent && _lastFault?.Reason == SubmissionReasons.InsufficientFunds;
        }
    }
}

/// <summary>A classified reason (<see cref="SubmissionReasons"/>) and when it was seen (unix ms).</summary>
public sealed record OracleFault(string Reason, long AtUnixMs);
