import json,sys,math,random,os
NOREMOVED=False
F=["coverage","key_coverage","quote_coverage","strength","margin","agreement"]
def load(f):
    X=[];Y=[];G=[]
    for l in open(f):
        t=json.loads(l)
        p=[min(t['present'][k],1.5) for k in F]; r=[min(t['removed'][k],1.5) for k in F] if t['removed'] else None
        X.append(p);Y.append(1 if t['right'] else 0);G.append('present-right' if t['right'] else 'present-wrong')
        if t['removed'] is not None and not NOREMOVED:
            X.append(r);Y.append(0);G.append('removed')
    return X,Y,G
train=[a for a in sys.argv[1:] if not a.startswith('+')]
report=[a.lstrip('+') for a in sys.argv[1:]]
WEIGHT={'library-dev':int(os.environ.get('LW','3')),'devq':int(os.environ.get('LW','3'))}
sets={}
for s in report:
    NOREMOVED = s in ('cq-dev','mq-domain')
    sets[s]=load(f'/tmp/ans/{s}.jsonl')
def fit(X,Y,l2=0.01,epochs=3000,lr=0.5,feats=None):
    feats=feats or list(range(len(F)))
    w=[0.0]*len(F);b=0.0;n=len(X)
    for ep in range(epochs):
        gw=[0.0]*len(F);gb=0.0
        for x,y in zip(X,Y):
            z=b+sum(w[i]*x[i] for i in feats); p=1/(1+math.exp(-z)); d=p-y
            gb+=d
            for i in feats: gw[i]+=d*x[i]
        b-=lr*gb/n
        for i in feats: w[i]-=lr*(gw[i]/n+l2*w[i])
    return w,b
def score(w,b,x): 
    if x[0]<=0: return 0
    return 1/(1+math.exp(-(b+sum(wi*xi for wi,xi in zip(w,x)))))
def curve(w,b,name):
    X,Y,G=sets[name]
    out=[]
    for th in [i/20 for i in range(21)]:
        right=sum(1 for x,g in zip(X,G) if g=='present-right' and score(w,b,x)>=th and score(w,b,x)>0)
        wrong=sum(1 for x,g in zip(X,G) if g!='present-right' and score(w,b,x)>=th and score(w,b,x)>0)
        out.append((th,right,wrong))
    return out
import itertools
allX=[];allY=[]
for s in train:
    X,Y,G=sets[s]
    for _ in range(WEIGHT.get(s,1)): allX+=X; allY+=Y
print("--- without agreement")
w,b=fit(allX,allY,feats=[0,1,2,3,4])
print("weights",[round(x,2) for x in w],"bias",round(b,2))
for s in sets:
    c=curve(w,b,s)
    ok=[p for p in c if p[1]+p[2]==0 or p[1]/(p[1]+p[2])>=0.75]
    best=max(ok,key=lambda p:(p[1],-p[2]))
    print(s, "op", best, " | ", " ".join(f"{th:.2f}:{r}/{wr}" for th,r,wr in c[::2]))
print("--- coverage alone at 0.5")
for s in sets:
    X,Y,G=sets[s]
    r=sum(1 for x,g in zip(X,G) if g=='present-right' and x[0]>=0.5); w=sum(1 for x,g in zip(X,G) if g!='present-right' and x[0]>=0.5)
    print(s, r, w)
print("--- coverage curve")
for s in sets:
    X,Y,G=sets[s]
    row=[]
    for th in [0.3,0.4,0.5,0.6,0.7,0.8]:
        r=sum(1 for x,g in zip(X,G) if g=='present-right' and x[0]>=th); w=sum(1 for x,g in zip(X,G) if g!='present-right' and x[0]>=th)
        row.append(f"{th}:{r}/{w}")
    print(s," ".join(row))
print("--- key coverage curve")
for s in sets:
    X,Y,G=sets[s]
    row=[]
    for th in [0.3,0.5,0.7,0.9,1.0]:
        r=sum(1 for x,g in zip(X,G) if g=='present-right' and x[1]>=th and x[0]>0); w=sum(1 for x,g in zip(X,G) if g!='present-right' and x[1]>=th and x[0]>0)
        row.append(f"{th}:{r}/{w}")
    print(s," ".join(row))
