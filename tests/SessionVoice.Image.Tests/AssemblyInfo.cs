using System.Runtime.Versioning;

// The checks read /proc, switch users with setpriv/runuser and set Unix file modes: Linux only,
// like the image they stand in for.
[assembly: SupportedOSPlatform("linux")]
