using TcWorker.Taskcluster;

namespace TcWorker.Taskcluster.Tests;

public sealed class SlugidTests
{
    [Fact]
    public void Nice_slugids_match_the_queue_pattern_and_are_unique()
    {
        // The pattern Taskcluster's schemas give a nice v4 slugid.
        var pattern = "^[A-Za-f][A-Za-z0-9_-]{7}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$";
        var seen = new HashSet<string>();
        for (var i = 0; i < 2000; i++)
        {
            var id = Slugid.Nice();
            Assert.Matches(pattern, id);
            Assert.True(seen.Add(id));
        }
    }
}
