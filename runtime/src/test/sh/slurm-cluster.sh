#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the sweep tests: Debian's slurm-wlm and munge, daemons started by
# hand (no systemd), all state under one folder. Needs root.
#
#   runtime/src/test/sh/slurm-cluster.sh install|start|stop PREFIX
#
# install: apt-get installs slurm-wlm and munge when sbatch or munged is missing.
# start:   writes PREFIX/slurm.conf (the node as `slurmd -C` describes it, no cgroup plugins, no accounting),
#          starts munged (unless one answers already), slurmctld and slurmd, and waits until the node is idle.
#          Clients need SLURM_CONF=PREFIX/slurm.conf.
# stop:    stops slurmctld and slurmd, and munged when start started it.
set -euo pipefail
action=${1:?usage: slurm-cluster.sh install|start|stop PREFIX}
prefix=${2:?usage: slurm-cluster.sh install|start|stop PREFIX}
conf="$prefix/slurm.conf"
export SLURM_CONF="$conf"

say() { echo "slurm-cluster: $*"; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
    if command -v sbatch > /dev/null && command -v slurmctld > /dev/null && command -v munged > /dev/null; then
        return
    fi
    say "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends slurm-wlm munge > "$prefix/apt.log" 2>&1 || {
        apt-get update -q > /dev/null 2>&1
        apt-get install -y -q --no-install-recommends slurm-wlm munge > "$prefix/apt.log" 2>&1 \
            || { tail -n 20 "$prefix/apt.log" >&2; say "apt-get could not install slurm-wlm and munge"; exit 1; }
    }
}

start_munge() {
    if munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
        return
    fi
    install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
    install -d -o munge -g munge -m 0755 /run/munge
    if [ ! -s /etc/munge/munge.key ]; then
        runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key 2> /dev/null \
            || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    # --force: a munged killed earlier leaves its socket behind
    runuser -u munge -- /usr/sbin/munged --force
    touch "$prefix/munged.ours"
    for _ in $(seq 50); do
        munge -n | unmunge > /dev/null 2>&1 && return
        sleep 0.1
    done
    say "munged does not answer"
    exit 1
}

start() {
    mkdir -p "$prefix/state" "$prefix/spool" "$prefix/log"
    getent hosts "$(hostname)" > /dev/null || echo "127.0.1.1 $(hostname)" >> /etc/hosts
    local node
    node=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
    cat > "$conf" <<EOF
ClusterName=jgan-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$prefix/state
SlurmdSpoolDir=$prefix/spool
SlurmctldPidFile=$prefix/slurmctld.pid
SlurmdPidFile=$prefix/slurmd.pid
SlurmctldLogFile=$prefix/log/slurmctld.log
SlurmdLogFile=$prefix/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    start_munge
    slurmctld -f "$conf"
    slurmd -N localhost -f "$conf"
    local state=""
    for _ in $(seq 300); do
        state=$(sinfo -h -n localhost -o '%T' 2> /dev/null || true)
        [ "$state" = idle ] && return
        sleep 0.1
    done
    tail -n 20 "$prefix/log/slurmctld.log" "$prefix/log/slurmd.log" >&2 || true
    say "the node is '$state' after 30 s, expected idle"
    exit 1
}

stop() {
    alive "$prefix/slurmctld.pid" && scontrol shutdown > /dev/null 2>&1 || true
    for _ in $(seq 100); do
        alive "$prefix/slurmctld.pid" || alive "$prefix/slurmd.pid" || break
        sleep 0.1
    done
    for d in slurmd slurmctld; do
        alive "$prefix/$d.pid" && kill -9 "$(cat "$prefix/$d.pid")" 2> /dev/null || true
    done
    if [ -f "$prefix/munged.ours" ]; then
        runuser -u munge -- /usr/sbin/munged --stop > /dev/null 2>&1 || true
        rm -f "$prefix/munged.ours"
    fi
}

mkdir -p "$prefix"
case "$action" in
    install) install_packages ;;
    start) start ;;
    stop) stop ;;
    *) say "unknown action '$action'; expected install, start or stop"; exit 2 ;;
esac
