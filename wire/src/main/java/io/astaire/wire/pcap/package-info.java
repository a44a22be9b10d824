/** Classic libpcap files (the format tcpdump and tshark read and write), for captures and tests. */
package io.astaire.wire.pcap;
