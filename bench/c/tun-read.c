// Reads a TUN device (tbench0, 10.77.0.1/24) flooded by bench/c/tun-flood.c, with read(2) or with io_uring (N reads in flight),
// and prints packets per CPU-second. Usage: tun-read read|uring [depth] [seconds]. Needs root. Not part of the build.
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <stdatomic.h>
#include <errno.h>

static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static double cpu(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_utime.tv_sec+r.ru_utime.tv_usec/1e6+r.ru_stime.tv_sec+r.ru_stime.tv_usec/1e6;}

int main(int argc,char**argv){
  const char* mode=argv[1]; int depth=argc>2?atoi(argv[2]):64; double secs=argc>3?atof(argv[3]):5;
  int fd=open("/dev/net/tun",O_RDWR); struct ifreq ifr; memset(&ifr,0,sizeof ifr);
  ifr.ifr_flags=IFF_TUN|IFF_NO_PI; strcpy(ifr.ifr_name,"tbench0");
  if(ioctl(fd,TUNSETIFF,&ifr)<0){perror("TUNSETIFF");return 1;}
  system("ip addr add 10.77.0.1/24 dev tbench0; ip link set tbench0 up; ip link set tbench0 txqueuelen 10000");
  fprintf(stderr,"ready\n"); fflush(stderr);
  sleep(1);
  long n=0; double t0=now(), c0=cpu();
  static char bufs[256][2048];
  if(!strcmp(mode,"read")){
    while(now()-t0<secs){ int r=read(fd,bufs[0],2048); if(r>0)n++; }
  } else {
    struct io_uring_params p; memset(&p,0,sizeof p);
    int ring=syscall(__NR_io_uring_setup,depth,&p); if(ring<0){perror("io_uring_setup");return 1;}
    size_t sqsz=p.sq_off.array+p.sq_entries*4, cqsz=p.cq_off.cqes+p.cq_entries*sizeof(struct io_uring_cqe);
    char*sq=mmap(0,sqsz,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,ring,IORING_OFF_SQ_RING);
    char*cq=mmap(0,cqsz,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,ring,IORING_OFF_CQ_RING);
    struct io_uring_sqe*sqes=mmap(0,p.sq_entries*sizeof(struct io_uring_sqe),PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,ring,IORING_OFF_SQES);
    unsigned*sqtail=(unsigned*)(sq+p.sq_off.tail),*sqmask=(unsigned*)(sq+p.sq_off.ring_mask),*sqarr=(unsigned*)(sq+p.sq_off.array);
    unsigned*cqhead=(unsigned*)(cq+p.cq_off.head),*cqtail=(unsigned*)(cq+p.cq_off.tail),*cqmask=(unsigned*)(cq+p.cq_off.ring_mask);
    struct io_uring_cqe*cqes=(struct io_uring_cqe*)(cq+p.cq_off.cqes);
    unsigned tail=*sqtail; int pending=0;
    for(int i=0;i<depth;i++){ unsigned idx=tail&*sqmask; struct io_uring_sqe*s=&sqes[idx]; memset(s,0,sizeof*s);
      s->opcode=IORING_OP_READ; s->fd=fd; s->addr=(unsigned long)bufs[i]; s->len=2048; s->off=-1; s->user_data=i; sqarr[idx]=idx; tail++; pending++; }
    atomic_store_explicit((_Atomic unsigned*)sqtail,tail,memory_order_release);
    long enters=0;
    while(now()-t0<secs){
      int r=syscall(__NR_io_uring_enter,ring,pending,1,IORING_ENTER_GETEVENTS,0,0); enters++;
      if(r<0&&errno!=EINTR){perror("enter");return 1;}
      pending=0;
      unsigned head=*cqhead, ct=atomic_load_explicit((_Atomic unsigned*)cqtail,memory_order_acquire);
      while(head!=ct){ struct io_uring_cqe*c=&cqes[head&*cqmask]; if(c->res>0)n++; else if (c->res<0 && n==0) fprintf(stderr,"cqe %d\n",c->res);
        int i=c->user_data; unsigned idx=tail&*sqmask; struct io_uring_sqe*s=&sqes[idx]; memset(s,0,sizeof*s);
        s->opcode=IORING_OP_READ; s->fd=fd; s->addr=(unsigned long)bufs[i]; s->len=2048; s->off=-1; s->user_data=i; sqarr[idx]=idx; tail++; pending++; head++; }
      atomic_store_explicit((_Atomic unsigned*)cqhead,head,memory_order_release);
      atomic_store_explicit((_Atomic unsigned*)sqtail,tail,memory_order_release);
    }
    fprintf(stderr,"enters %ld, %.1f packets per enter\n",enters,(double)n/enters);
  }
  double dt=now()-t0, dc=cpu()-c0;
  printf("%s depth %d: %.0f packets/s, cpu %.0f%%, %.0f packets per CPU-second\n",mode,depth,n/dt,100*dc/dt,n/dc);
  return 0;
}
