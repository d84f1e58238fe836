using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

public enum SlotStatus : byte
{
    Open = 0,
    Booked = 1,
    Cancelled = 2,
    Settled = 3,
}

public enum BookingStatus : byte
{
    None = 0,
    Booked = 1,
    Cancelled = 2,
    Attested = 3,
    Disputed = 4,
    Resolved = 5,
    Finalized = 6,
}

/// <summary>The contract's outcome codes; 0 means "not attested" and is never sent.</summary>
public enum Outcome : byte
{
    None = 0,
    Completed = 1,
    NoShowHost = 2,
    NoShowGuest = 3,
}

/// <summary>A wei amount (uint256).</summary>
public readonly record struct Wei(BigInteger Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>getSlot(slotId). Every field but <see cref="Status"/> is fixed once the slot is booked.</summary>
public sealed record Slot(
    BigInteger SlotId,
    Address Host,
    long StartTime,
    uint DurationMins,
    Wei Price,
    uint GraceMins,
    uint MinOverlapMins,
    uint CancelCutoffMins,
    SlotStatus Status)
{
    public long DurationSeconds => DurationMins * 60L;

    public long EndTime => StartTime + DurationSeconds;

    public long GraceEnd => StartTime + GraceMins * 60L;

    public long MinOverlapSeconds => MinOverlapMins * 60L;
}

/// <summary>getBooking(bookingId).</summary>
public sealed record Booking(
    BookingId Id,
    BigInteger SlotId,
    Address Guest,
    Wei Amount,
    BookingStatus Status,
    Outcome OracleOutcome,
    Hash32 MetricsHash,
    long AttestedAt,
    long FinalizableAt,
    Address Challenger,
    Wei BondAmount,
    long DisputedAt);
