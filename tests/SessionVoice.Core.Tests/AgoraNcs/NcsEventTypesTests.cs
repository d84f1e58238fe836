using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Core.Tests.AgoraNcs;

public class NcsEventTypesTests
{
    [Fact]
    public void Joins_and_leaves_are_the_three_documented_pairs()
    {
        var all = Enumerable.Range(0, 1000).ToArray();
        Assert.Equal([103, 105, 107], all.Where(NcsEventTypes.IsJoin));
        Assert.Equal([104, 106, 108], all.Where(NcsEventTypes.IsLeave));
        Assert.False(NcsEventTypes.IsJoin(NcsEventTypes.RoleToBroadcaster));
        Assert.False(NcsEventTypes.IsLeave(NcsEventTypes.RoleToAudience));
    }

    [Fact]
    public void Reconnect_reasons_are_2_4_9_10_99()
    {
        Assert.Equal([2, 4, 9, 10, 99], Enumerable.Range(-5, 2000).Where(NcsEventTypes.IsReconnectReason));
    }
}
