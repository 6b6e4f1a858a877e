# summarize.py FILE...: median, min and max per benchmark and unit of
# "before|after <go benchmark line>" lines (bench/httpparse/compare.sh).
import sys,re,statistics as st,collections
d=collections.defaultdict(lambda: collections.defaultdict(list))
for f in sys.argv[1:]:
    for line in open(f):
        parts=line.split()
        v,name=parts[0],re.sub(r'-\d+$','',parts[1])
        toks=parts[3:]
        for i in range(0,len(toks)-1,2):
            try: d[(name,toks[i+1])][v].append(float(toks[i]))
            except: pass
for (name,unit),vs in d.items():
    if unit not in ('ns/op','MB/s','allocs/exchange','B/op','allocs/op'): continue
    b=vs.get('before',[]); a=vs.get('after',[])
    if not b or not a: continue
    mb,ma=st.median(b),st.median(a)
    ch=(ma-mb)/mb*100 if mb else 0
    print(f"{name:45s} {unit:16s} before med {mb:12.4g} [{min(b):.4g}..{max(b):.4g}]  after med {ma:12.4g} [{min(a):.4g}..{max(a):.4g}]  {ch:+.1f}%  n={len(b)}/{len(a)}")
