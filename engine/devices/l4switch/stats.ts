/**
 * SLB counters as `/stats/slb` shows them: current/total/highest sessions and octets per real, per
 * (group, real) and per (virt, real), and the maintenance counters of `/stats/slb/maint` (names as in
 * the Radware Alteon CLI Reference, "SLB Maintenance Statistics").
 */

export class SessionCounters {
  current = 0;
  total = 0;
  highest = 0;
  octets = 0;

  open(): void {
    this.total++;
    if (++this.current > this.highest) this.highest = this.current;
  }

  close(): void {
    if (this.current > 0) this.current--;
  }

  /** `/stats/slb/clear`: totals restart; sessions still open stay counted as current. */
  clear(): void {
    this.total = 0;
    this.highest = this.current;
    this.octets = 0;
  }
}

export class SlbMaintCounters {
  maximumSessions = 0;
  currentSessions = 0;
  terminatedSessions = 0;
  allocationFailures = 0;
  udpDatagrams = 0;
  nonTcpIpFrames = 0;
  incorrectVips = 0;
  incorrectVports = 0;
  noAvailableRealServer = 0;
  backupServerActivations = 0;
  discardFrames = 0;
  noTcpControlBits = 0;
  invalidResetPacketDrops = 0;
  outOfStateFinPktDrops = 0;

  clear(): void {
    const cur = this.currentSessions;
    const max = this.maximumSessions;
    Object.assign(this, new SlbMaintCounters());
    this.currentSessions = cur;
    this.maximumSessions = max;
  }
}

/** The `/stats/slb/maint` lines, in the Alteon order. */
export function maintLines(m: SlbMaintCounters): [string, number][] {
  return [
    ['Maximum sessions', m.maximumSessions],
    ['Current sessions', m.currentSessions],
    ['Terminated sessions', m.terminatedSessions],
    ['Allocation failures', m.allocationFailures],
    ['UDP datagrams', m.udpDatagrams],
    ['Non TCP/IP frames', m.nonTcpIpFrames],
    ['Incorrect VIPs', m.incorrectVips],
    ['Incorrect Vports', m.incorrectVports],
    ['No available real server', m.noAvailableRealServer],
    ['Backup server activations', m.backupServerActivations],
    ['Discard frames', m.discardFrames],
    ['No TCP control bits', m.noTcpControlBits],
    ['Invalid reset packet drops', m.invalidResetPacketDrops],
    ['Out of State FIN Pkt drops', m.outOfStateFinPktDrops],
  ];
}
