# Session Voice: the ASP.NET Core service (src/SessionVoice.Api) as a non-root container.
#
#   docker build -t session-voice --build-arg SOURCE_REVISION_ID=$(git rev-parse HEAD) .
#   docker run --rm --read-only --tmpfs /tmp --tmpfs /data -p 3338:3338 \
#     -e JWT_SECRET=... -e AGORA_APP_ID=... -e AGORA_APP_CERTIFICATE=... -e RPC_URL=... -e ESCROW_ADDRESS=... session-voice
#
# This is the JIT build, because the image runs Dapr mode (the Dapr SDK's actor runtime needs
# reflection and dynamic code). The standalone host also has a native, ahead-of-time build
# (NATIVE=1 ./run.sh, docs/performance.md), which refuses Dapr mode.
#
# The image holds no secrets and no state: state lives in DATA_DIR (/data), which Kubernetes
# mounts as an emptyDir (standalone SQLite) next to an emptyDir at /tmp, with a read-only root fs.

# ---- build ---------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# The repository-wide build settings first: central package versions, analyzers and
# warnings-as-errors (.editorconfig is read by the build), SDK selection. They change rarely, so
# the restore layer below stays cached until one of them or a project file changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
# Only the project files of the API and the projects it references (Core, Actors): restore needs
# nothing else, and editing a .cs file then does not invalidate the restored packages.
COPY src/SessionVoice.Core/SessionVoice.Core.csproj src/SessionVoice.Core/
COPY src/SessionVoice.Actors/SessionVoice.Actors.csproj src/SessionVoice.Actors/
COPY src/SessionVoice.Api/SessionVoice.Api.csproj src/SessionVoice.Api/
RUN dotnet restore src/SessionVoice.Api/SessionVoice.Api.csproj

COPY src/ src/
# .git is not in the build context (.dockerignore), so the commit that /health reports as
# `version` (1.0.0+<commit>) has to be passed in; empty leaves it out.
ARG SOURCE_REVISION_ID=
# Framework-dependent and portable (no RID): the aspnet image brings the runtime, and SQLite's
# native library is picked from runtimes/<rid>/native/libe_sqlite3.so at run time, so the same
# output runs on amd64 and arm64. UseAppHost=false: no native launcher, `dotnet X.dll` starts it.
RUN dotnet publish src/SessionVoice.Api/SessionVoice.Api.csproj -c Release -o /app \
      --no-restore --no-self-contained /p:UseAppHost=false "/p:SourceRevisionId=${SOURCE_REVISION_ID}"
# An empty folder for DATA_DIR, copied below with the app user as owner (the runtime image has no
# shell to mkdir/chown with).
RUN mkdir /data-dir
# libsecp256k1 (with its recovery module, as Debian and Ubuntu build it) for sign-in signature
# recovery: ~4x faster than the managed BouncyCastle fallback (docs/performance.md). The -dev
# package pulls whichever runtime soname (libsecp256k1.so.1, .so.2, ...) the distribution ships; only
# that file goes into the runtime image, where the service finds it by its soname in /usr/lib.
RUN apt-get update && apt-get install -y --no-install-recommends libsecp256k1-dev \
 && mkdir /native \
 && find /usr/lib -name 'libsecp256k1.so.[0-9]*' -regex '.*\.so\.[0-9]+$' -exec cp -L {} /native/ \; \
 && ls /native/libsecp256k1.so.* \
 && rm -rf /var/lib/apt/lists/*

# ---- runtime -------------------------------------------------------------------------------
# Chiseled Ubuntu 24.04: no shell, no package manager, no ICU, no tzdata. None is needed: the app
# sets InvariantGlobalization, looks up no time zone (UTC and unix times only), and e_sqlite3
# needs only libc.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app

# Owned by root and not writable by the app user: the app cannot modify its own code, and a
# read-only root filesystem changes nothing for it.
COPY --from=build --chown=root:root /app ./
# /data exists and belongs to the app user, so a plain `docker run` without a mount still works
# (in the container's writable layer); Kubernetes mounts an emptyDir over it. No VOLUME on purpose:
# an anonymous volume per container would be created behind the user's back.
COPY --from=build --chown=$APP_UID:$APP_UID /data-dir /data
COPY --from=build --chown=root:root /native/ /usr/lib/

# PORT / BIND_ADDRESS / DATA_DIR are the service's own settings (Hosting.cs turns them into the
# Kestrel URL). ASPNETCORE_URLS stays unset (it would override PORT), and the base image's
# ASPNETCORE_HTTP_PORTS=8080 is cleared: otherwise ASP.NET logs "Overriding HTTP_PORTS '8080'" at
# every start. DOTNET_EnableDiagnostics=0 stops the runtime creating its debugger pipes and
# diagnostics socket (clr-debug-pipe-*, dotnet-diagnostic-*) in $TMPDIR: nothing is written
# outside DATA_DIR, and a read-only root fs works even without the /tmp mount. The cost: no
# dotnet-trace/dotnet-counters/debugger attach (metrics and traces go out through OpenTelemetry).
# DOTNET_GCgen0size: a 4 MiB gen0 budget instead of one sized from the CPU cache; the live heap is a
# few MB, and under the join load this keeps ~8 MB less resident at the same throughput (docs/performance.md).
# The runtime reads this knob only from the environment, not from runtimeconfig, and as hex digits:
# 400000 is 4 MiB (the JIT runtime would also take 0x400000; the native one ignores the prefixed form).
ENV PORT=3338 \
    BIND_ADDRESS=0.0.0.0 \
    DATA_DIR=/data \
    ASPNETCORE_HTTP_PORTS="" \
    DOTNET_EnableDiagnostics=0 \
    DOTNET_GCgen0size=400000
EXPOSE 3338

# The non-root user every .NET 8+ image defines (APP_UID=1654, "app"). Numeric, so Kubernetes'
# runAsNonRoot can verify it without an /etc/passwd lookup.
USER $APP_UID

# No HEALTHCHECK: the chiseled image has no shell, curl or wget to run one with. Kubernetes probes
# over HTTP instead: liveness GET /health, readiness GET /health/ready (store writable, RPC answers).
# Data protection: standalone mode registers none, and Dapr mode keeps its key ring in memory (the
# service protects nothing with it; JWTs are signed with JWT_SECRET): nothing is read or written under HOME.
ENTRYPOINT ["dotnet", "SessionVoice.Api.dll"]
