using SessionVoice.Api.Standalone;

namespace SessionVoice.Api.Tests.Sessions;

public class KeyedLockTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Shared_holders_run_together_and_an_exclusive_one_waits_for_all_of_them()
    {
        var locks = new KeyedLock<int>();
        var a = await locks.AcquireSharedAsync(1, default);
        var b = await locks.AcquireSharedAsync(1, default);
        var exclusive = locks.AcquireAsync(1, default);
        await Task.Delay(Soon);
        Assert.False(exclusive.IsCompleted);

        a.Dispose();
        await Task.Delay(Soon);
        Assert.False(exclusive.IsCompleted);
        b.Dispose();
        (await exclusive.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task A_waiting_exclusive_holder_is_not_overtaken_by_later_shared_ones()
    {
        var locks = new KeyedLock<int>();
        var first = await locks.AcquireSharedAsync(7, default);
        var exclusive = locks.AcquireAsync(7, default);
        var later = locks.AcquireSharedAsync(7, default);
        await Task.Delay(Soon);
        Assert.False(exclusive.IsCompleted);
        Assert.False(later.IsCompleted);

        first.Dispose();
        var turn = await exclusive.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(Soon);
        Assert.False(later.IsCompleted);
        turn.Dispose();
        (await later.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task Keys_do_not_block_each_other()
    {
        var locks = new KeyedLock<string>();
        using var one = await locks.AcquireAsync("a", default);
        using var other = await locks.AcquireAsync("b", default).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, locks.Count);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_line_and_the_lock_usable()
    {
        var locks = new KeyedLock<int>();
        var held = await locks.AcquireAsync(3, default);
        using var cts = new CancellationTokenSource();
        var waiting = locks.AcquireAsync(3, cts.Token);
        var behind = locks.AcquireSharedAsync(3, default);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        held.Dispose();
        (await behind.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, locks.Count);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => locks.AcquireSharedAsync(3, cts.Token));
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task Under_contention_an_exclusive_holder_is_always_alone()
    {
        var locks = new KeyedLock<int>();
        int shared = 0, exclusive = 0, violations = 0, exclusiveTurns = 0, sharedTurns = 0;
        var overlapSeen = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 4000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var key = i % 3;
            if (i % 5 == 0)
            {
                using (await locks.AcquireAsync(key, ct))
                {
                    if (key == 0 && (Interlocked.Increment(ref exclusive) != 1 || Volatile.Read(ref shared) != 0))
                    {
                        Interlocked.Increment(ref violations);
                    }
                    await Task.Yield();
                    if (key == 0)
                    {
                        Interlocked.Decrement(ref exclusive);
                        Interlocked.Increment(ref exclusiveTurns);
                    }
                }
            }
            else
            {
                using (await locks.AcquireSharedAsync(key, ct))
                {
                    if (key == 0)
                    {
                        if (Interlocked.Increment(ref shared) > 1)
                        {
                            Interlocked.Exchange(ref overlapSeen, 1);
                        }
                        if (Volatile.Read(ref exclusive) != 0)
                        {
                            Interlocked.Increment(ref violations);
                        }
                    }
                    await Task.Delay(1, ct);
                    if (key == 0)
                    {
                        Interlocked.Decrement(ref shared);
                        Interlocked.Increment(ref sharedTurns);
                    }
                }
            }
        });
        Assert.Equal(0, violations);
        Assert.Equal(1334 / 5 + 1, exclusiveTurns); // i % 15 == 0 for i < 4000
        Assert.Equal(1334 - (1334 / 5 + 1), sharedTurns);
        Assert.Equal(1, overlapSeen); // shared holders really did run together
        Assert.Equal(0, locks.Count);
    }
}
