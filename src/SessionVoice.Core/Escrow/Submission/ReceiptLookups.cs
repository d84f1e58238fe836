using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// The receipt lookups of every submission waiting on one node, coalesced: lookups asked for within
/// <see cref="GatherWindow"/> of each other, or while one is on the wire, go out together in one JSON-RPC batch
/// (at most <see cref="MaxBatch"/> per batch). A hundred attestations waiting for a 12 s block then cost a few
/// requests per poll interval rather than one per transaction and poll.
/// </summary>
internal sealed class ReceiptLookups(EthClient eth)
{
    /// <summary>Providers cap batch sizes; 100 is within every cap we know of.</summary>
    private const int MaxBatch = 100;

    /// <summary>A tenth of the submitter's default poll interval: polls spread over it mostly meet in one batch.</summary>
    private static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(25);

    private readonly Lock _gate = new();
    private List<(Hash32 Hash, TaskCompletionSource<TransactionReceipt?> Answer)> _waiting = [];
    private bool _sending;

    public EthClient Eth => eth;

    public Task<TransactionReceipt?> GetAsync(Hash32 hash, CancellationToken ct)
    {
        var answer = new TaskCompletionSource<TransactionReceipt?>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _waiting.Add((hash, answer));
            start = !_sending;
            _sending = true;
        }
        if (start)
        {
            _ = SendWaitingAsync();
        }
        return answer.Task.WaitAsync(ct);
    }

    private async Task SendWaitingAsync()
    {
        while (true)
        {
            await Task.Delay(GatherWindow).ConfigureAwait(false);
            List<(Hash32 Hash, TaskCompletionSource<TransactionReceipt?> Answer)> round;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _sending = false;
                    return;
                }
                (round, _waiting) = (_waiting, []);
            }
            await Task.WhenAll(round.Chunk(MaxBatch).Select(SendAsync)).ConfigureAwait(false);
        }
    }

    /// <summary>Never throws: every answer gets its receipt, null or the exception.</summary>
    private async Task SendAsync((Hash32 Hash, TaskCompletionSource<TransactionReceipt?> Answer)[] lookups)
    {
        try
        {
            if (lookups.Length == 1)
            {
                lookups[0].Answer.TrySetResult(await eth.GetTransactionReceiptAsync(lookups[0].Hash, CancellationToken.None).ConfigureAwait(false));
                return;
            }
            var responses = await eth.Rpc.SendBatchAsync([.. lookups.Select(l => new RpcRequest("eth_getTransactionReceipt", l.Hash.ToString()))], CancellationToken.None)
                .ConfigureAwait(false);
            for (var i = 0; i < lookups.Length; i++)
            {
                try
                {
                    lookups[i].Answer.TrySetResult(EthClient.ReadReceipt(lookups[i].Hash, responses[i].GetResultOrThrow("eth_getTransactionReceipt")));
                }
                catch (Exception e)
                {
                    lookups[i].Answer.TrySetException(e);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var lookup in lookups)
            {
                lookup.Answer.TrySetException(e);
            }
        }
    }
}
