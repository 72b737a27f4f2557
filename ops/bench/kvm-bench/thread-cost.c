/* Thread costs: 200 pthread_create+join, then 2000 condvar round trips between two threads. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static void *nop(void *a){return a;}
static pthread_mutex_t m=PTHREAD_MUTEX_INITIALIZER; static pthread_cond_t c=PTHREAD_COND_INITIALIZER; static int turn, rounds=2000;
static void *pong(void *a){for(int i=0;i<rounds;i++){pthread_mutex_lock(&m);while(turn!=1)pthread_cond_wait(&c,&m);turn=0;pthread_cond_signal(&c);pthread_mutex_unlock(&m);}return 0;}
int main(){double t0=now();for(int i=0;i<200;i++){pthread_t t;pthread_create(&t,0,nop,0);pthread_join(t,0);}double t1=now();
pthread_t p;pthread_create(&p,0,pong,0);double t2=now();for(int i=0;i<rounds;i++){pthread_mutex_lock(&m);turn=1;pthread_cond_signal(&c);while(turn!=0)pthread_cond_wait(&c,&m);pthread_mutex_unlock(&m);}double t3=now();pthread_join(p,0);
printf("create+join %.1f us each; condvar round trip %.1f us\n",(t1-t0)/200*1e6,(t3-t2)/rounds*1e6);}
