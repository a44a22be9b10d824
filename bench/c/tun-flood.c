// Floods 10.77.0.2 (routed into tbench0 by bench/c/tun-read.c) with 64-byte UDP datagrams, a new source port each: tun-flood [seconds].
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>
int main(int argc,char**argv){ double secs=argc>1?atof(argv[1]):6; int s=socket(AF_INET,SOCK_DGRAM,0);
 struct sockaddr_in d={.sin_family=AF_INET,.sin_port=htons(9)}; inet_pton(AF_INET,"10.77.0.2",&d.sin_addr);
 char buf[64]={0}; struct mmsghdr m[64]; struct iovec v[64]; struct sockaddr_in ds[64];
 for(int i=0;i<64;i++){v[i].iov_base=buf;v[i].iov_len=64;memset(&m[i],0,sizeof m[i]);ds[i]=d;ds[i].sin_port=htons(1000+i);m[i].msg_hdr.msg_iov=&v[i];m[i].msg_hdr.msg_iovlen=1;m[i].msg_hdr.msg_name=&ds[i];m[i].msg_hdr.msg_namelen=sizeof d;}
 struct timespec t0,t; clock_gettime(CLOCK_MONOTONIC,&t0); long n=0;
 for(;;){ for(int i=0;i<64;i++) ds[i].sin_port=htons(1000+((n+i)&0x7fff)); int r=sendmmsg(s,m,64,0); if(r>0)n+=r; clock_gettime(CLOCK_MONOTONIC,&t); if(t.tv_sec-t0.tv_sec+(t.tv_nsec-t0.tv_nsec)/1e9>secs)break;}
 printf("sent %ld (%.0f/s)\n",n,n/secs); return 0;}
