using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Sessions;

public enum Party
{
    Host,
    Guest,
}

/// <summary>What the chain says about one booking: its immutable slot and its booking record.</summary>
public sealed record BookingSnapshot(Slot Slot, Booking Booking)
{
    public BookingId Id => Booking.Id;

    public Address Host => Slot.Host;

    public Address Guest => Booking.Guest;

    /// <summary>The caller's part in this booking, or null for anyone else. A self-booking counts as host.</summary>
    public Party? PartyOf(Address wallet) =>
        wallet == Host ? Party.Host : wallet == Guest ? Party.Guest : null;

    public Address AddressOf(Party party) => party == Party.Host ? Host : Guest;
}
